"""Templates the channels render; a package so that importlib.resources finds them."""
