"""The plane the 2-D sets live on: the square [-DOMAIN, DOMAIN]^2."""

DOMAIN = 6.0  # 2-D sets live in [-6, 6]^2, TensorFlow Playground's plane
