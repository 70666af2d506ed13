"""The reward catalogue: rewards, pictures, voucher codes in stock, a company's approval limit
and goal; the member catalogue pages."""
