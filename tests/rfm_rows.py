"""Small RFM fixtures shared by the id tests of the DuckDB and Spark routes."""

#: Published CDNOW estimates (Fader, Hardie and Lee 2005): models without fitting.
BG = {"r": 0.2426, "alpha": 4.4137, "a": 0.7930, "b": 2.4262}
GG = {"p": 6.25, "q": 3.74, "v": 15.44}
#: Three valid RFM rows, in weeks.
ROWS = {
    "frequency": [2.0, 1.0, 0.0],
    "recency": [10.0, 5.0, 0.0],
    "T": [30.0, 20.0, 25.0],
    "monetary_value": [20.0, 15.0, 0.0],
}
#: The reject reason of an id on two rows of an RFM table.
REPEATED = "customer id appears on 2 rows"
