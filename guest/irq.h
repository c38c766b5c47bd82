/* irq.h - interrupt controller setup. */
#ifndef IRQ_H
#define IRQ_H

int ukplat_irq_init(void);

#endif /* IRQ_H */
