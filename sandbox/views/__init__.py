"""HTTP faces of the sandbox: pages (index, consent) and the emulated provider endpoints."""
