"""The chat plugin's hook implementations (service hours by language, live conversations over
GraphQL subscriptions). Being built: see issue #17."""
