"""Benchmarks: imgharvest against curl, img2dataset and icrawler on a local image host."""
