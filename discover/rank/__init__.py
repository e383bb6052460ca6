"""Stage: ranking — topic relevance, geography, and the explained score that combines them with type and quality."""
