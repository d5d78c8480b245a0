# Placeholder replaced by the packaging work.
