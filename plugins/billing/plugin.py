"""The billing plugin's hook implementations (catalogue, reseller offers, subscriptions,
promotions, the billing cycle and statements). Being built: see issue #16."""
