"""assay: validate RT-qPCR primer sets and turn Ct and OD data into results.

The card's folders install under this root: ``assay.primers``, ``assay.analysis``, ``assay.cli``
and ``assay.data``. Importing any of them does nothing but define names.

>>> import assay
>>> assay.__version__.count(".") >= 2
True
"""

__version__ = "0.1.0"
