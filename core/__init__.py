"""DevCompras core: the product, independent of any UI."""
