import type { LocaleTemplates } from '../templates.js';

// Hindi. Devanagari makes every SMS UCS-2 (70 UTF-16 units a segment, 67 when split), so the SMS
// says only what it must: one segment with a 6-digit code and a 10-minute expiry, two with a
// 10-digit code, a day-long expiry and both autofill lines.
// "मिनट" is the same in the singular and the plural; the plural form is kept for translators.
export const hi: LocaleTemplates = {
  login: {
    sms: '{code} आपका लॉगिन कोड है। यह {minutes, plural, one {# मिनट} other {# मिनट}} तक मान्य है। किसी को न बताएं।',
    email_subject: 'आपका लॉगिन कोड',
    email_text:
      'आपका लॉगिन कोड है: {code}\n\nसाइन इन करने के लिए इसे दर्ज करें। यह {minutes, plural, one {# मिनट} other {# मिनट}} तक मान्य है।\n\n' +
      'यह कोड किसी से साझा न करें। अगर आपने इसका अनुरोध नहीं किया था, तो इस ईमेल को अनदेखा करें।\n',
    email_html:
      '<p>आपका लॉगिन कोड है:</p>{code}<p>साइन इन करने के लिए इसे दर्ज करें। यह {minutes, plural, one {# मिनट} other {# मिनट}} तक मान्य है।</p>' +
      '<p>यह कोड किसी से साझा न करें। अगर आपने इसका अनुरोध नहीं किया था, तो इस ईमेल को अनदेखा करें।</p>',
  },
  register: {
    sms: '{code} आपका सत्यापन कोड है। यह {minutes, plural, one {# मिनट} other {# मिनट}} तक मान्य है। किसी को न बताएं।',
    email_subject: 'आपका पंजीकरण कोड',
    email_text:
      'आपका पंजीकरण कोड है: {code}\n\nअपना खाता बनाने के लिए इसे दर्ज करें। यह {minutes, plural, one {# मिनट} other {# मिनट}} तक मान्य है।\n\n' +
      'यह कोड किसी से साझा न करें। अगर आपने इसका अनुरोध नहीं किया था, तो इस ईमेल को अनदेखा करें।\n',
    email_html:
      '<p>आपका पंजीकरण कोड है:</p>{code}<p>अपना खाता बनाने के लिए इसे दर्ज करें। यह {minutes, plural, one {# मिनट} other {# मिनट}} तक मान्य है।</p>' +
      '<p>यह कोड किसी से साझा न करें। अगर आपने इसका अनुरोध नहीं किया था, तो इस ईमेल को अनदेखा करें।</p>',
  },
};
