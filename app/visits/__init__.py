"""GPS-stamped visits: check-in/out, photo evidence, spoof assessment, review, map."""
