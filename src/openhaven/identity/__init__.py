"""Identity and access: who is asking, and what they may do — decided in one place.

Accounts belong to governance people (their roles and project memberships live there).
Passwords are hashed with argon2id, a time-based one-time password is required for every
role except patients, sign-in is throttled and temporarily locked after repeated failures,
page sessions expire when idle and absolutely, API tokens are scoped, expiring, revocable
and stored hashed. ``policy.decide`` is the single authorisation decision every route and
command asks.
"""
