from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
RNCP_SAMPLE = DATA_DIR / "rncp-fiches-sample.xml"
CDC_EXEMPLE = DATA_DIR / "cdc-exemple-flux-v2.0.0.xml"
