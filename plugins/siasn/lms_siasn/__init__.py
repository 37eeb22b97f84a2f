"""lms-siasn: training histories in the shape of SIASN's course history (riwayat kursus)."""
__version__ = "0.1.0"
