"""Page extraction: every image a page names (any element, attribute, CSS, JSON), grouped by
picture with its largest copy first; placeholders, trackers and icons left out."""
