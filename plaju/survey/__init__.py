"""The Survei Kepuasan Masyarakat (SKM, PermenPANRB 14/2017): the citizens' anonymous survey after
hand-over, the index (IKM) and its dashboard, and the public page of the IKM and service standards."""
