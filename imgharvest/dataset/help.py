"""Help texts of the dataset options (shared by the CLI and the form's labels)."""

from __future__ import annotations

QUERIES = "File of queries, one a line (or NAME<TAB>QUERY): one class each."
FORMAT = "zip, dir, imagefolder, webdataset or parquet (default: from -o)."
SHARD_SIZE = "webdataset: samples per tar shard."
MAX_SIDE = "Shrink images to fit PX on their longer side (0: keep)."
MIN_SIDE = "Skip images whose shorter side is under PX."
MAX_ASPECT = "Skip images whose long:short side ratio exceeds this (0: any)."
CONVERT = "Re-encode every image as jpeg, webp or png."
QUALITY = "JPEG/WebP quality when re-encoding (1-100)."
ANIMATED = "Animated images: keep them, or reduce to the first frame."
LICENCE = "any, open (CC/public domain) or commercial (commercial use allowed)."
SPLIT = "Train/val/test percentages, e.g. 80,10,10 or 90,10 (stable per image)."
