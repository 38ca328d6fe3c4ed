"""Page objects: the merchant storefront and the Flexiti widget, in the shopper's vocabulary."""
