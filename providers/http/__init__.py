"""The neutral HTTP base every provider client is built on, its typed errors and the paging guard."""
