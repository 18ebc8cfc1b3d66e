"""Published CDNOW estimates that many tests score with, written once.

BG/NBD on the 2,357 customers of the CDNOW sample, 39 calibration weeks: Fader, Hardie and Lee
(2005), "Counting your customers the easy way", Marketing Science 24(2) (r, α, a, b).
Gamma-Gamma on the same customers' repeat purchases: Fader, Hardie and Lee (2005), "RFM and
CLV: using iso-value curves for customer base analysis", JMR 42(4) (p, q, γ).
"""

PUBLISHED_BG = {"r": 0.2426, "alpha": 4.4137, "a": 0.7930, "b": 2.4262}
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "v": 15.44}
