/* Reading EPCIS XML documents (1.x and 2.0) into the EPCIS 2.0 JSON shape
 * (docs/epcis-hash.md), so that one code path hashes and checks events from
 * either syntax. This module is the only one that includes libxml2.
 *
 * The result is a cJSON document:
 *   {"type": "EPCISDocument", "schemaVersion": ..., "creationDate": ...,
 *    "epcisBody": {"eventList": [ events ]}}
 * or, for an EPCISQueryDocument,
 *   {"type": "EPCISQueryDocument", ...,
 *    "epcisBody": {"queryResults": {"queryName": ..., "subscriptionID": ...,
 *                                   "resultsBody": {"eventList": [ events ]}}}}
 * or the event itself when the root element is an event. Each event is an
 * object with "type" (the element name), its standard fields in the JSON
 * shape (epcList → array of strings, quantityList → array of objects,
 * bizTransactionList → [{"type", "bizTransaction"}], sensorReport → array,
 * quantity and sensor values → numbers, booleanValue → boolean, ...), EPCIS
 * 1.x <extension>/<baseExtension> wrappers flattened. Elements and
 * attributes in other namespaces (user extensions) keep their structure with
 * keys in Clark notation, "{namespace}local"; repeated elements become
 * arrays, an element with attributes or children an object (its own text
 * under "#text"). xsi:* attributes (schema plumbing such as xsi:type) are
 * dropped. A document-level <ns:ignoreFields> lists the element names under
 * the key "{ns}ignoreFields" of the result.
 *
 * Safety: no network access (XML_PARSE_NONET), no external DTD or entity
 * loading, any <!ENTITY> declaration rejects the document, documents larger
 * than SY_EPCIS_XML_MAX are refused, libxml2's default depth and text limits
 * apply (no XML_PARSE_HUGE), and nesting deeper than 100 elements inside an
 * event is refused. */
#ifndef SY_EPCIS_XML_H
#define SY_EPCIS_XML_H

#include <cjson/cJSON.h>
#include <stddef.h>

#define SY_EPCIS_XML_MAX ((size_t)64 << 20)

/* Parses len bytes of XML (borrowed; need not be NUL-terminated). On
 * success *out is the document (transferred; cJSON_Delete). On failure
 * *out is NULL and err (errlen bytes, may be NULL) says why, with the line.
 * Returns SY_OK, SY_EINVAL, SY_ETOOBIG (larger than SY_EPCIS_XML_MAX, or
 * nested too deep), SY_EUNSUPPORTED (entity declarations), SY_EMALFORMED
 * (not well-formed, or no EventList and not an event) or SY_ENOMEM.
 * Thread-safe. */
int sy_epcis_xml_parse(const char *xml, size_t len, cJSON **out, char *err, size_t errlen);

/* A document in either syntax: XML when the first non-blank byte is '<' (or
 * the bytes start with a UTF-16/32 byte order mark), JSON otherwise. *is_xml
 * (may be NULL) tells which. Same results as sy_epcis_xml_parse; JSON that
 * does not parse is SY_EMALFORMED with the offset in err. */
int sy_epcis_doc_parse(const char *buf, size_t len, cJSON **out, int *is_xml, char *err,
                       size_t errlen);

#endif
