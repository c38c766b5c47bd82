/* banner.h - the Unikraft boot banner of the selected era. */
#ifndef BANNER_H
#define BANNER_H

void print_banner(void);

#endif /* BANNER_H */
