/* 9pdev.h - 9P transports (lib/uk9p) and a connected 9P device. */
#ifndef UK_9PDEV_H
#define UK_9PDEV_H

#include "uk.h"

struct uk_9pdev_trans {
	const char *name;
	/* find the device exporting mount tag `tag` */
	int (*connect)(const char *tag, void **priv);
	/* send tx, wait for the reply into rx */
	int (*request)(void *priv, const void *tx, u32 tx_len, void *rx,
		       u32 rx_cap, u32 *rx_len);
	struct uk_9pdev_trans *next;
};

void uk_9pdev_trans_register(struct uk_9pdev_trans *t);
struct uk_9pdev_trans *uk_9pdev_trans_by_name(const char *name);

struct uk_9pdev {
	struct uk_9pdev_trans *trans;
	void *priv;
	u32 msize;
	bool dotl;              /* 9P2000.L (else 9P2000.u) */
	u8 *tx, *rx;            /* message buffers, page allocated */
	u32 tx_cap, rx_cap;
	u32 tx_len, rx_len, rx_pos;
};

#endif /* UK_9PDEV_H */
