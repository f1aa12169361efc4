"""Citizens' document requests: intake at the counter to hand-over, with SLA clock and sign-off."""
