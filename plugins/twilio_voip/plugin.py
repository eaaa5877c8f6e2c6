"""The Twilio VoIP plugin's hook implementations (connected Twilio account, numbers, operators,
browser calls, call log). Being built: see issue #18."""
