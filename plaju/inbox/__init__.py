"""The one list of work awaiting a person ("Perlu tindakan saya"), across every workflow. Knows no area:
rows are described by their spec (kind_label, summary, url, inbox_options, prefetch)."""
