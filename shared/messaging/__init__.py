"""Reliable event delivery: transactional outbox, relay, inbox, consumer, transports."""
