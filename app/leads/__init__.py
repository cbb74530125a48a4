"""Leads and customers: public/private pools, ownership rules, nearby lookup, duplicates."""
