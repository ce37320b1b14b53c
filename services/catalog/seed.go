package catalog

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/shoplab/shoplab/internal/database"
)

// seedProducts returns ShopEase's starting catalog. IDs are fixed so that the
// load generator and the lab exercises can name products.
func seedProducts() []Product {
	return []Product{
		{ID: 1, SKU: "MUG-CER-350", Name: "Ceramic Coffee Mug", Description: "Stoneware mug, 350 ml, dishwasher safe.", PriceCents: 1299, Currency: "USD", Stock: 240},
		{ID: 2, SKU: "TEE-ORG-M", Name: "Organic Cotton T-Shirt", Description: "Crew neck tee in 100% organic cotton, size M.", PriceCents: 2499, Currency: "USD", Stock: 180},
		{ID: 3, SKU: "BOT-STL-750", Name: "Insulated Water Bottle", Description: "Double-wall stainless steel, 750 ml, keeps drinks cold for 24 h.", PriceCents: 2950, Currency: "USD", Stock: 150},
		{ID: 4, SKU: "HDP-WLS-01", Name: "Wireless Headphones", Description: "Over-ear Bluetooth headphones with active noise cancelling.", PriceCents: 8999, Currency: "USD", Stock: 60},
		{ID: 5, SKU: "KBD-MEC-TKL", Name: "Mechanical Keyboard", Description: "Tenkeyless keyboard with hot-swappable tactile switches.", PriceCents: 10999, Currency: "USD", Stock: 50},
		{ID: 6, SKU: "MSE-ERG-01", Name: "Ergonomic Mouse", Description: "Wireless vertical mouse, rechargeable, 2.4 GHz and Bluetooth.", PriceCents: 3999, Currency: "USD", Stock: 120},
		{ID: 7, SKU: "NTB-A5-DOT", Name: "Dotted Notebook A5", Description: "Hardcover notebook, 192 pages of 100 gsm dotted paper.", PriceCents: 1450, Currency: "USD", Stock: 500},
		{ID: 8, SKU: "BKP-RLT-20", Name: "Roll-Top Backpack", Description: "Water-resistant 20 l backpack with a padded laptop sleeve.", PriceCents: 7900, Currency: "USD", Stock: 80},
		{ID: 9, SKU: "LMP-DSK-LED", Name: "LED Desk Lamp", Description: "Dimmable lamp with adjustable colour temperature and USB port.", PriceCents: 4599, Currency: "USD", Stock: 90},
		{ID: 10, SKU: "TEA-GRN-100", Name: "Organic Green Tea", Description: "Loose-leaf sencha from Shizuoka, 100 g.", PriceCents: 899, Currency: "USD", Stock: 400},
		{ID: 11, SKU: "SCK-WOL-3P", Name: "Merino Wool Socks (3 pairs)", Description: "Cushioned everyday socks in merino wool blend.", PriceCents: 2200, Currency: "USD", Stock: 300},
		{ID: 12, SKU: "CHG-USBC-65", Name: "65 W USB-C Charger", Description: "Compact GaN charger with two USB-C ports and one USB-A port.", PriceCents: 4900, Currency: "USD", Stock: 200},
	}
}

// seed fills an empty products table and reports how many products it
// added. It checks and inserts in one transaction: on SQLite that holds
// the write lock, so two instances starting on the same file cannot both
// seed; on PostgreSQL two replicas can both find the table empty, and ON
// CONFLICT lets the second add nothing instead of failing its start.
func seed(ctx context.Context, db *sql.DB) (int, error) {
	added := 0
	err := database.InTx(ctx, db, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM products`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		for _, p := range seedProducts() {
			res, err := tx.ExecContext(ctx,
				`INSERT INTO products (id, sku, name, description, price_cents, currency, stock) VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT DO NOTHING`,
				p.ID, p.SKU, p.Name, p.Description, p.PriceCents, p.Currency, p.Stock)
			if err != nil {
				return fmt.Errorf("product %s: %w", p.SKU, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("product %s: %w", p.SKU, err)
			}
			added += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("seed catalog: %w", err)
	}
	return added, nil
}
