"""Kernel images: finding one (file, kraft project, the test guest) and naming its addresses."""
