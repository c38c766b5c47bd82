/*
 * serial_console.c - polled 16550 UART on COM1 (0x3f8), 115200 8N1.
 * It is the only path to the UART, so it also keeps the integrity
 * counters (byte count + CRC-32 as zlib computes it) that the final
 * "uktrace-integrity:" line reports to the host.
 */
#include "console.h"
#include "io.h"
#include "irq.h"

#define COM1        0x3f8
#define UART_THR    0       /* transmit holding register (DLAB=0) */
#define UART_DLL    0       /* divisor latch low (DLAB=1) */
#define UART_IER    1
#define UART_DLM    1
#define UART_FCR    2
#define UART_LCR    3
#define UART_MCR    4
#define UART_LSR    5
#define LSR_DR      0x01    /* a received byte waits in RBR */
#define LSR_THRE    0x20    /* transmit holding register empty */
#define IER_RDI     0x01    /* interrupt on received data */
#define MCR_OUT2    0x08    /* gates the UART's IRQ line on a PC */
#define COM1_IRQ    4

#define CRC32_POLY 0xedb88320u   /* reflected IEEE 802.3, as zlib.crc32 */

static u32 tx_bytes;
static u32 tx_crc = 0xffffffffu; /* kept inverted; the final xor happens when reported */
static bool tx_at_bol = true;

void serial_init(void)
{
	outb(COM1 + UART_IER, 0x00);    /* polled: no interrupts */
	outb(COM1 + UART_LCR, 0x80);    /* DLAB on */
	outb(COM1 + UART_DLL, 0x01);    /* 115200 = 115200 / 1 */
	outb(COM1 + UART_DLM, 0x00);
	outb(COM1 + UART_LCR, 0x03);    /* 8N1, DLAB off */
	outb(COM1 + UART_FCR, 0xc7);    /* FIFO on, cleared, 14-byte trigger */
	outb(COM1 + UART_MCR, 0x03);    /* DTR + RTS */
}

void serial_putc(char c)
{
	while (!(inb(COM1 + UART_LSR) & LSR_THRE))
		cpu_relax();
	outb(COM1 + UART_THR, (u8)c);

	tx_bytes++;
	tx_crc ^= (u8)c;
	for (int bit = 0; bit < 8; bit++)
		tx_crc = (tx_crc >> 1) ^ (CRC32_POLY & -(tx_crc & 1));
	tx_at_bol = (c == '\n');
}

void serial_rx_enable(void)
{
	outb(COM1 + UART_FCR, 0x01);    /* FIFO on, interrupt per byte; what came early stays */
	outb(COM1 + UART_MCR, 0x0b);    /* DTR + RTS + OUT2 */
	outb(COM1 + UART_IER, IER_RDI);
	irq_unmask(COM1_IRQ);
}

char serial_getc(void)
{
	char c;

	/* check with interrupts off; `sti; hlt` halts before any can be taken */
	__asm__ __volatile__("cli");
	while (!(inb(COM1 + UART_LSR) & LSR_DR))
		__asm__ __volatile__("sti; hlt; cli" ::: "memory");
	c = (char)inb(COM1 + UART_THR);       /* RBR: same offset, read */
	return c;
}

bool serial_at_line_start(void)
{
	return tx_at_bol;
}

void serial_integrity(u32 *bytes, u32 *crc32)
{
	*bytes = tx_bytes;
	*crc32 = ~tx_crc;
}
