"""A fourth paper in miniature, invented for the tests: all that adding a paper takes."""
