"""The harvest pipeline: fetch, verify, dedupe, package, and the run that ties them."""
