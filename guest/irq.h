/* irq.h - interrupt controller setup. */
#ifndef IRQ_H
#define IRQ_H

int ukplat_irq_init(void);
/* let one 8259 line through (vector 0x20 + irq); its handler only acknowledges */
void irq_unmask(int irq);

#endif /* IRQ_H */
