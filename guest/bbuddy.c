/*
 * bbuddy.c - a binary buddy page allocator, after Unikraft's
 * lib/ukallocbbuddy. The allocator's own state (free lists and a bitmap
 * marking which pages head a free chunk) sits at the start of the
 * region; the rest is cut into naturally aligned power-of-two chunks.
 */
#define UK_LIBNAME "libukallocbbuddy"
#include "alloc.h"
#include "print.h"

#define MAX_ORDER 16            /* 256 MiB chunks at most */

struct chunk {
	struct chunk *next, *prev;
	unsigned int order;
};

struct bbuddy {
	uintptr_t pstart, pend;         /* managed pages */
	struct chunk *free[MAX_ORDER + 1];
	u8 headmap[];                   /* 1 bit per page: head of a free chunk */
};

static struct bbuddy *bb;

static u32 pfn(uintptr_t addr)
{
	return (addr - bb->pstart) / PAGE_SIZE;
}

static void mark(uintptr_t addr, bool free)
{
	u32 p = pfn(addr);

	if (free)
		bb->headmap[p / 8] |= 1u << (p % 8);
	else
		bb->headmap[p / 8] &= ~(1u << (p % 8));
}

static bool is_free_head(uintptr_t addr)
{
	u32 p = pfn(addr);

	return bb->headmap[p / 8] & (1u << (p % 8));
}

static void list_add(uintptr_t addr, unsigned int order)
{
	struct chunk *c = (struct chunk *)addr;

	c->order = order;
	c->prev = NULL;
	c->next = bb->free[order];
	if (c->next)
		c->next->prev = c;
	bb->free[order] = c;
	mark(addr, true);
}

static void list_del(struct chunk *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		bb->free[c->order] = c->next;
	if (c->next)
		c->next->prev = c->prev;
	mark((uintptr_t)c, false);
}

int uk_allocbbuddy_init(uintptr_t base, size_t len)
{
	uintptr_t end = ALIGN_DOWN(base + len, PAGE_SIZE), addr;
	size_t npages, meta;

	base = ALIGN_UP(base, PAGE_SIZE);
	if (end <= base + 2 * PAGE_SIZE)
		return -ENOMEM;
	uk_pr_info("Initialize binary buddy allocator %x\n", base);

	npages = (end - base) / PAGE_SIZE;
	meta = ALIGN_UP(sizeof(struct bbuddy) + (npages + 7) / 8, PAGE_SIZE);
	bb = (struct bbuddy *)base;
	memset(bb, 0, meta);
	bb->pstart = base + meta;
	bb->pend = end;

	/* cut the range into the largest aligned chunks that fit */
	for (addr = bb->pstart; addr < end;) {
		unsigned int order = 0;

		while (order < MAX_ORDER &&
		       !(addr & ((PAGE_SIZE << (order + 1)) - 1)) &&
		       addr + (PAGE_SIZE << (order + 1)) <= end)
			order++;
		uk_pr_debug("%x: Add allocate unit %x - %x (order %u)\n",
			    base, addr, addr + (PAGE_SIZE << order), order);
		list_add(addr, order);
		addr += PAGE_SIZE << order;
	}
	return 0;
}

void *uk_palloc(unsigned int order)
{
	unsigned int o;
	struct chunk *c;

	for (o = order; o <= MAX_ORDER && !bb->free[o]; o++)
		;
	if (o > MAX_ORDER) {
		uk_pr_warn("%x: Cannot handle palloc request of order %u: Out of memory\n",
			   (u32)(uintptr_t)bb, order);
		return NULL;
	}
	c = bb->free[o];
	list_del(c);
	while (o > order) {         /* split, keep the lower half */
		o--;
		list_add((uintptr_t)c + (PAGE_SIZE << o), o);
	}
	return c;
}

void uk_pfree(void *ptr, unsigned int order)
{
	uintptr_t addr = (uintptr_t)ptr;

	while (order < MAX_ORDER) {
		uintptr_t buddy = addr ^ (PAGE_SIZE << order);

		if (buddy < bb->pstart || buddy + (PAGE_SIZE << order) > bb->pend ||
		    !is_free_head(buddy) || ((struct chunk *)buddy)->order != order)
			break;
		list_del((struct chunk *)buddy);
		addr = MIN(addr, buddy);
		order++;
	}
	list_add(addr, order);
}
