"""Small RFM fixtures shared by the id tests of the DuckDB and Spark routes."""

from published import PUBLISHED_BG, PUBLISHED_GG

#: Published CDNOW estimates (Fader, Hardie and Lee 2005): models without fitting.
BG = PUBLISHED_BG
GG = PUBLISHED_GG
#: Three valid RFM rows, in weeks.
ROWS = {
    "frequency": [2.0, 1.0, 0.0],
    "recency": [10.0, 5.0, 0.0],
    "T": [30.0, 20.0, 25.0],
    "monetary_value": [20.0, 15.0, 0.0],
}
#: The reject reason of an id on two rows of an RFM table.
REPEATED = "customer id appears on 2 rows"
