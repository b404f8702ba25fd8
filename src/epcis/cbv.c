/* GS1 CBV 2.0 vocabularies (cbv.h).
 *
 * The term lists are the closed enums of the EPCIS 2.0 JSON schema
 * (gs1/EPCIS JSON-Schema/schemas/{bizStep,disposition,bizTransaction-type,
 * source-dest-type,error-reason,measurement-type,sensor-alert-type,
 * component}-JSON-Schema.json, commit 2b888bef), in the schema's order. They
 * are compiled in so that a node needs no file at run time; a CBV revision
 * means editing these tables (and docs/epcis-hash.md). */
#include "epcis/cbv.h"

#include <stdio.h>
#include <string.h>

/* clang-format off */
static const char *const BIZSTEP_TERMS[] = {
    "accepting", "arriving", "assembling", "collecting", "commissioning", "consigning",
    "creating_class_instance", "cycle_counting", "decommissioning", "departing",
    "destroying", "disassembling", "dispensing", "encoding", "entering_exiting",
    "holding", "inspecting", "installing", "killing", "loading", "other", "packing",
    "picking", "receiving", "removing", "repackaging", "repairing", "replacing",
    "reserving", "retail_selling", "shipping", "staging_outbound", "stock_taking",
    "stocking", "storing", "transporting", "unloading", "unpacking", "void_shipping",
    "sensor_reporting", "sampling"
};
static const char *const DISPOSITION_TERMS[] = {
    "active", "container_closed", "damaged", "destroyed", "dispensed", "disposed",
    "encoded", "expired", "in_progress", "in_transit", "inactive", "no_pedigree_match",
    "non_sellable_other", "partially_dispensed", "recalled", "reserved", "retail_sold",
    "returned", "sellable_accessible", "sellable_not_accessible", "stolen", "unknown",
    "available", "completeness_verified", "completeness_inferred", "conformant",
    "container_open", "mismatch_instance", "mismatch_class", "mismatch_quantity",
    "needs_replacement", "non_conformant", "unavailable"
};
static const char *const BTT_TERMS[] = {
    "bol", "cert", "desadv", "inv", "pedigree", "po", "poc", "prodorder", "recadv", "rma",
    "testprd", "testres", "upevt"
};
static const char *const SDT_TERMS[] = {
    "owning_party", "possessing_party", "location"
};
static const char *const ER_TERMS[] = {
    "did_not_occur", "incorrect_data"
};
static const char *const MEASUREMENT_TERMS[] = {
    "AbsoluteHumidity", "AbsorbedDose", "AbsorbedDoseRate", "Acceleration",
    "Radioactivity", "Altitude", "AmountOfSubstance", "AmountOfSubstancePerUnitVolume",
    "Angle", "AngularAcceleration", "AngularMomentum", "AngularVelocity", "Area",
    "Capacitance", "Conductance", "Conductivity", "Count", "Density", "Dimensionless",
    "DoseEquivalent", "DoseEquivalentRate", "DynamicViscosity", "ElectricCharge",
    "ElectricCurrent", "ElectricCurrentDensity", "ElectricFieldStrength", "Energy",
    "Exposure", "Force", "Frequency", "Illuminance", "Inductance", "Irradiance",
    "KinematicViscosity", "Length", "LinearMomentum", "Luminance", "LuminousFlux",
    "LuminousIntensity", "MagneticFlux", "MagneticFluxDensity", "MagneticVectorPotential",
    "Mass", "MassConcentration", "MassFlowRate", "MassPerAreaTime", "MemoryCapacity",
    "MolalityOfSolute", "MolarEnergy", "MolarMass", "MolarVolume", "Power", "Pressure",
    "RadiantFlux", "RadiantIntensity", "RelativeHumidity", "Resistance", "Resistivity",
    "SolidAngle", "SpecificVolume", "Speed", "SurfaceDensity", "SurfaceTension",
    "Temperature", "Time", "Torque", "Voltage", "Volume", "VolumeFlowRate",
    "VolumeFraction", "VolumetricFlux", "Wavenumber"
};
static const char *const ALERT_TERMS[] = {
    "ALARM_CONDITION", "ERROR_CONDITION"
};
static const char *const COMPONENT_TERMS[] = {
    "x", "y", "z", "axial_distance", "azimuth", "height", "spherical_radius",
    "polar_angle", "elevation_angle", "easting", "northing", "latitude", "longitude",
    "altitude"
};

/* clang-format on */
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef struct vocab {
  const char *const *terms;
  size_t n;
  const char *web;   /* canonical prefix: web + term */
  const char *urn;   /* EPCIS 1.x / XML URN prefix, or NULL (EPCIS 2.0-only vocabularies) */
  const char *curie; /* compact form used in XML 2.0 and JSON-LD: curie + term */
} vocab;

static const vocab VOCABS[SY_CBV_VOCAB_COUNT] = {
    [SY_CBV_BIZSTEP] = {BIZSTEP_TERMS, COUNT(BIZSTEP_TERMS), "https://ref.gs1.org/cbv/BizStep-",
                        "urn:epcglobal:cbv:bizstep:", "cbv:BizStep-"},
    [SY_CBV_DISPOSITION] = {DISPOSITION_TERMS, COUNT(DISPOSITION_TERMS),
                            "https://ref.gs1.org/cbv/Disp-",
                            "urn:epcglobal:cbv:disp:", "cbv:Disp-"},
    [SY_CBV_BIZ_TRANSACTION_TYPE] = {BTT_TERMS, COUNT(BTT_TERMS), "https://ref.gs1.org/cbv/BTT-",
                                     "urn:epcglobal:cbv:btt:", "cbv:BTT-"},
    [SY_CBV_SOURCE_DEST_TYPE] = {SDT_TERMS, COUNT(SDT_TERMS), "https://ref.gs1.org/cbv/SDT-",
                                 "urn:epcglobal:cbv:sdt:", "cbv:SDT-"},
    [SY_CBV_ERROR_REASON] = {ER_TERMS, COUNT(ER_TERMS), "https://ref.gs1.org/cbv/ER-",
                             "urn:epcglobal:cbv:er:", "cbv:ER-"},
    [SY_CBV_SENSOR_MEASUREMENT_TYPE] = {MEASUREMENT_TERMS, COUNT(MEASUREMENT_TERMS),
                                        "https://gs1.org/voc/", NULL, "gs1:"},
    [SY_CBV_SENSOR_ALERT_TYPE] = {ALERT_TERMS, COUNT(ALERT_TERMS), "https://gs1.org/voc/", NULL,
                                  "gs1:"},
    [SY_CBV_COMPONENT] = {COMPONENT_TERMS, COUNT(COMPONENT_TERMS), "https://ref.gs1.org/cbv/Comp-",
                          NULL, "cbv:Comp-"},
};

/* Namespaces that belong to GS1: a value there that names no term of the
 * vocabulary is neither a CBV value nor a user vocabulary (the JSON schema's
 * vocab-other-uri / vocab-nonGS1WebVoc-uri patterns exclude them). */
static const char *const GS1_NAMESPACES[] = {
    "urn:epcglobal:cbv:",      "https://ref.gs1.org/cbv/", "http://ref.gs1.org/cbv/",
    "https://ns.gs1.org/cbv/", "http://ns.gs1.org/cbv/",   "https://gs1.org/voc/",
    "http://gs1.org/voc/",     "https://www.gs1.org/voc/", "http://www.gs1.org/voc/",
};

static const vocab *get_vocab(sy_cbv_vocab v) {
  if ((int)v < 0 || v >= SY_CBV_VOCAB_COUNT) return NULL;
  return &VOCABS[v];
}

static int starts_with(const char *s, const char *prefix) {
  return prefix && strncmp(s, prefix, strlen(prefix)) == 0;
}

static int in_list(const vocab *vc, const char *word) {
  for (size_t i = 0; i < vc->n; i++)
    if (strcmp(vc->terms[i], word) == 0) return 1;
  return 0;
}

/* RFC 3986 scheme followed by ':' — what makes a string an absolute URI
 * for our purposes (full URI syntax is the validator's business). */
static int has_scheme(const char *s) {
  const char *p = s;
  if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) return 0;
  for (p++; *p; p++) {
    if (*p == ':') return 1;
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
          *p == '+' || *p == '-' || *p == '.'))
      return 0;
  }
  return 0;
}

/* The term named by a URN, web URI or CURIE of the vocabulary, or NULL. */
static const char *term_of(const vocab *vc, const char *value) {
  const char *forms[3] = {vc->web, vc->urn, vc->curie};
  for (size_t i = 0; i < 3; i++) {
    if (!starts_with(value, forms[i])) continue;
    const char *t = value + strlen(forms[i]);
    if (in_list(vc, t)) return t;
  }
  return NULL;
}

int sy_cbv_is_term(sy_cbv_vocab v, const char *word) {
  const vocab *vc = get_vocab(v);
  return vc && word && in_list(vc, word);
}

const char *sy_cbv_web_prefix(sy_cbv_vocab v) {
  const vocab *vc = get_vocab(v);
  return vc ? vc->web : NULL;
}

int sy_cbv_classify(sy_cbv_vocab v, const char *value) {
  const vocab *vc = get_vocab(v);
  if (!vc || !value || !*value) return 0;
  if (in_list(vc, value)) return 1;
  if (term_of(vc, value)) return 2;
  if (!has_scheme(value)) return 0;
  for (size_t i = 0; i < COUNT(GS1_NAMESPACES); i++)
    if (starts_with(value, GS1_NAMESPACES[i])) return 0;
  /* "cbv:" and "gs1:" are the standard context's prefixes for the two
   * namespaces above; a CURIE there names no term either. */
  if (starts_with(value, "cbv:") || starts_with(value, "gs1:")) return 0;
  return 3;
}

int sy_cbv_canonical(sy_cbv_vocab v, const char *value, char *out, size_t outlen) {
  const vocab *vc = get_vocab(v);
  if (!out || outlen == 0) return -1;
  int cls = sy_cbv_classify(v, value);
  if (cls == 0) return -1;
  int n;
  if (cls == 3) {
    n = snprintf(out, outlen, "%s", value);
  } else {
    const char *t = cls == 1 ? value : term_of(vc, value);
    n = snprintf(out, outlen, "%s%s", vc->web, t);
  }
  if (n < 0 || (size_t)n >= outlen) {
    out[0] = '\0';
    return -1;
  }
  return 0;
}
