"""Boot-time figures across guests and runs: distributions, the bench's statistics, comparisons."""
