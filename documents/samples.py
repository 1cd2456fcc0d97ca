"""A realistic sample parchemin, for tests, the render benchmark and the CSS.

The real template is a Django template (auto-escaping); this sample escapes every value with
:func:`html.escape` the same way, so it shows what the template must produce.
"""

from __future__ import annotations

from html import escape

from documents.qr import qr_svg

SAMPLE_PARCHEMIN = {
    "certificateur": "CCI France",
    "nom_commercial": "Réseau des écoles de la CCI",
    "nature": "Certification professionnelle",
    "civilite_titulaire": "Madame",
    "titulaire": "Camille Lefèvre-Durand",
    "naissance": "née le 03/02/1998 à Lyon (69)",
    "intitule": "Assistant(e) de gestion et d’administration d’entreprise – Office Manager junior",
    "niveau": "5",
    "niveau_cec": "5",
    "code_rncp": "RNCP36390",
    "date_decision": "29/03/2022",
    "duree": "3 ans",
    "codes_nsf": "324 — Secrétariat, bureautique",
    "lieu": "Lyon",
    "date_delivrance": "15/06/2026",
    "signataires": (
        ("Le Président de CCI France", "Alexandre Martin"),
        ("Le Président de la CCI Lyon Métropole", "Claire Dubois"),
    ),
    "numero": "CCIF-2026-000123",
    "code_verification": "7K2M-QX4P-H9TD",
    "url_verification": "https://certif.example.fr/verifier/7K2M-QX4P-H9TD",
}


def is_dense(titulaire: str, intitule: str, codes_nsf: str = "") -> bool:
    """Whether the parchemin needs the ``parchemin--dense`` variant to stay on one page."""
    return len(titulaire) > 38 or len(intitule) > 90 or len(codes_nsf) > 120


def sample_parchemin_html(**overrides) -> str:
    """One-page parchemin HTML (stylesheet ``parchemin``) with every legal mention."""
    d = {**SAMPLE_PARCHEMIN, **overrides}
    e = {k: escape(v) if isinstance(v, str) else v for k, v in d.items()}
    signatures = "\n".join(
        f'<div class="signature"><div class="qualite">{escape(q)}</div>'
        f'<div class="trace"></div><div class="nom">{escape(n)}</div></div>'
        for q, n in d["signataires"]
    )
    dense = " parchemin--dense" if is_dense(d["titulaire"], d["intitule"], d["codes_nsf"]) else ""
    return f"""<!DOCTYPE html>
<html lang="fr">
<head><meta charset="utf-8"><title>Parchemin {e["numero"]} — {e["titulaire"]}</title></head>
<body>
<div class="parchemin{dense}">
  <header class="emetteur">
    <p class="certificateur">{e["certificateur"]}</p>
    <p class="nom-commercial">{e["nom_commercial"]}</p>
    <div class="filet"></div>
  </header>
  <div class="corps"><div class="contenu">
    <p class="nature">{e["nature"]}</p>
    <p class="preambule">Au vu des résultats des épreuves et de la délibération du jury de certification,
      le certificateur atteste que</p>
    <p class="titulaire">{e["civilite_titulaire"]} {e["titulaire"]}</p>
    <p class="naissance">{e["naissance"]}</p>
    <p class="formule">a obtenu la certification professionnelle</p>
    <p class="intitule">{e["intitule"]}</p>
    <p class="niveau">Niveau <span class="chiffre">{e["niveau"]}</span> de la nomenclature nationale des
      certifications professionnelles — niveau <span class="chiffre">{e["niveau_cec"]}</span> du cadre européen
      des certifications (CEC)</p>
    <p class="enregistrement">Certification enregistrée au Répertoire national des certifications
      professionnelles sous le code {e["code_rncp"]} par décision du directeur général de France
      compétences en date du {e["date_decision"]}, pour une durée de {e["duree"]}.
      Code NSF : {e["codes_nsf"]}.</p>
  </div></div>
  <footer class="pied">
    <div class="delivrance">
      <p class="lieu-date">Délivré à {e["lieu"]},<br>le {e["date_delivrance"]}</p>
    </div>
    <div class="signatures">{signatures}</div>
    <div class="verification">
      <div class="texte">
        <div class="numero">N° {e["numero"]}</div>
        <div>Code de vérification</div>
        <div class="code">{e["code_verification"]}</div>
        <div class="url">{e["url_verification"]}</div>
      </div>
      {qr_svg(d["url_verification"])}
    </div>
  </footer>
</div>
</body>
</html>
"""
