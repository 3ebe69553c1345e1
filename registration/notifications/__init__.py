"""What people must be told, and its delivery: a transactional outbox."""
