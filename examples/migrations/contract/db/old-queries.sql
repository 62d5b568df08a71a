-- What version 1.5 of the orders service sends to the database: display_name only.
SELECT id, display_name, email FROM customers WHERE id = $1;
SELECT id, display_name, email FROM customers WHERE email = $1;
INSERT INTO customers (display_name, email) VALUES ($1, $2) RETURNING id;
UPDATE customers SET display_name = $1 WHERE id = $2;
INSERT INTO orders (customer_id, total_cents) VALUES ($1, $2) RETURNING id, status;
INSERT INTO order_items (order_id, sku, quantity, price_cents) VALUES ($1, $2, $3, $4);
SELECT o.id, o.status, o.total_cents, c.display_name AS customer
  FROM orders o JOIN customers c ON c.id = o.customer_id
  WHERE o.customer_id = $1 ORDER BY o.created_at DESC LIMIT 20;
UPDATE orders SET status = $1 WHERE id = $2;
