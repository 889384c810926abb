"""The versioned JSON documents covaction writes and reads back: the baseline, the fork result."""
