"""Accounts: sign-in with a second factor, invitations, password reset and
change, sessions, and each user's account page (docs/security.md)."""
