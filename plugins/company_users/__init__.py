"""Company users: a company's employees and administrators, run by its admin or reseller."""
