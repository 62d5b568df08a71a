-- Orders are listed per customer, newest first.
CREATE INDEX orders_customer_created ON orders (customer_id, created_at DESC);
