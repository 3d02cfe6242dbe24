"""The controlled sector list (shared/reference/sectors.json) for partners, staff and claimants."""
