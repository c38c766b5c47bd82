/* alloc.h - page allocator (binary buddy) over the multiboot memory. */
#ifndef ALLOC_H
#define ALLOC_H

#include "uk.h"

int uk_allocbbuddy_init(uintptr_t base, size_t len);
void *uk_palloc(unsigned int order);    /* 2^order pages, naturally aligned */
void uk_pfree(void *ptr, unsigned int order);

#endif /* ALLOC_H */
