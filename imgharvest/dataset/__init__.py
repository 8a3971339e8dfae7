"""Training-ready datasets: many queries, one de-duplication, resizing, licences, splits, formats.

``options`` turns raw option values into a ``DatasetSpec``; ``build`` harvests
each class and post-processes what was kept; ``formats`` writes the result
(``zip``, ``dir``, ``imagefolder``, ``webdataset``, ``parquet``), always with
``manifest.csv`` and ``dataset.json``.
"""
