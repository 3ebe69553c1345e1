"""Events and the cities that host them."""
