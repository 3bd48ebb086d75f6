package fr.cartable.mobile

import fr.cartable.mobile.Demo.lea
import fr.cartable.mobile.Demo.newStore
import fr.cartable.mobile.Demo.signedIn
import java.nio.file.Files
import java.time.LocalDate
import java.util.UUID
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.fail

/** A small PDF the content check accepts: `%PDF-1.4` first, `%%EOF` last. */
fun tinyPdf(note: String): ByteArray =
    "%PDF-1.4\n% $note\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
        .toByteArray(Charsets.US_ASCII)

class DocumentsTest {

    @Test
    fun `a PDF queued offline waits on the phone, then reaches the structure for review`() {
        signedIn().use { phone ->
            val lea = lea(phone)
            val name = "assurance-${UUID.randomUUID()}.pdf"
            val bytes = tinyPdf(name)
            val localId = phone.queueDocument(name, bytes, "insurance", lea.id, "2027-08-31")

            val queued = phone.documents().single { it.localId == localId }
            assertEquals(SupportingDocumentState.WaitingToSend(null), queued.state, "queued, not sent yet")
            assertEquals("en attente d'envoi", queued.stateLabel)
            assertNull(queued.serverId)
            assertEquals(name, queued.fileName)
            assertEquals("insurance", queued.kind)
            assertEquals("attestation d'assurance", queued.kindLabel)
            assertEquals(lea.id, queued.childId)
            assertEquals("2027-08-31", queued.validUntil)
            assertEquals(bytes.size.toLong(), queued.sizeBytes)

            val report = phone.sendDocuments()
            assertEquals(SendReport(sent = 1uL, retryLater = 0uL, refused = 0uL, absencesJoined = 0uL), report)
            val sent = phone.documents().single { it.localId == localId }
            assertEquals(SupportingDocumentState.Sent, sent.state, "$sent")
            assertEquals("envoyé, en attente de vérification", sent.stateLabel)
            val serverId = sent.serverId ?: fail("no server id once sent: $sent")

            // The server's list, as another parent's phone reads it after its first sync.
            signedIn(Demo.JULIEN, "Téléphone de Julien").use { other ->
                val seen = other.documents().single { it.serverId == serverId }
                assertNull(seen.localId, "sent from another device")
                assertEquals(SupportingDocumentState.Sent, seen.state)
                assertEquals(name, seen.fileName)
                assertEquals(lea.id, seen.childId)
                assertEquals("2027-08-31", seen.validUntil)
                assertEquals(bytes.size.toLong(), seen.sizeBytes)
            }

            assertEquals(SendReport(0uL, 0uL, 0uL, 0uL), phone.sendDocuments(), "nothing is sent twice")
            assertEquals(1, phone.documents().count { it.serverId == serverId })
            assertThrows<CartableException.InvalidInput>("the structure has it") {
                phone.cancelQueuedDocument(localId)
            }

            // The wrong file picked offline is withdrawn before it leaves the phone.
            val wrong = phone.queueDocument("erreur.pdf", tinyPdf("erreur"), "other", null, null)
            phone.cancelQueuedDocument(wrong)
            assertTrue(phone.documents().none { it.localId == wrong })
            assertEquals(SendReport(0uL, 0uL, 0uL, 0uL), phone.sendDocuments(), "nothing left to send")
        }
    }

    @Test
    fun `a file queued through the coroutine SDK is sent by the next sync`(): Unit = runBlocking {
        Cartable.open(newStore()).use { cartable ->
            cartable.login(Demo.server.url, Demo.CAMILLE, Demo.PASSWORD, "Documents")
            cartable.sync()
            val file = Files.createTempFile("qf-", ".pdf").toFile()
            file.writeBytes(tinyPdf("quotient familial"))
            val localId = cartable.queueDocumentFile(file, "qf_certificate", validUntil = LocalDate.of(2027, 12, 31))
            assertEquals(
                SupportingDocumentState.WaitingToSend(null),
                cartable.documents().single { it.localId == localId }.state,
            )

            cartable.sync()
            val sent = cartable.documents().single { it.localId == localId }
            assertEquals(SupportingDocumentState.Sent, sent.state, "$sent")
            assertNotNull(sent.serverId)
            assertEquals(file.name, sent.fileName, "the file's own name is kept")
            assertNull(sent.childId)
            assertEquals("2027-12-31", sent.validUntil)
        }
    }

    @Test
    fun `a text file named pdf is refused when queued, with a reason, and nothing is queued`() {
        signedIn().use { phone ->
            val e = assertThrows<CartableException.InvalidInput> {
                phone.queueDocument(
                    "devoirs.pdf",
                    "Ceci est un simple fichier texte.\n".toByteArray(),
                    "insurance",
                    null,
                    null,
                )
            }
            assertEquals("invalid_input", e.errorCode())
            assertTrue(e.reason.contains("seuls les PDF, JPEG et PNG"), e.reason)

            val truncated = assertThrows<CartableException.InvalidInput> {
                phone.queueDocument("coupe.pdf", "%PDF-1.4\n1 0 obj\n<<>>\nendobj\n".toByteArray(), "insurance", null, null)
            }
            assertTrue(truncated.reason.contains("incomplet"), truncated.reason)
            val kind = assertThrows<CartableException.InvalidInput> {
                phone.queueDocument("a.pdf", tinyPdf("a"), "bulletin", null, null)
            }
            assertTrue(kind.reason.contains("type de document inconnu"), kind.reason)
            assertThrows<CartableException.InvalidInput> {
                phone.queueDocument("a.pdf", tinyPdf("a"), "insurance", null, "31/08/2027")
            }

            assertTrue(phone.documents().none { it.localId != null }, "nothing was queued on this phone")
            assertEquals(SendReport(0uL, 0uL, 0uL, 0uL), phone.sendDocuments())
        }
    }

    @Test
    fun `the kind picker lists every kind with a French label`() {
        val options = documentKindOptions()
        assertEquals(
            listOf("qf_certificate", "insurance", "medical_note", "vaccinations", "pai", "custody_ruling", "other"),
            options.map { it.code },
        )
        assertEquals("Attestation de quotient familial", options.first().label)
        assertEquals("PAI", options.single { it.code == "pai" }.label)
    }

    @Test
    fun `queuing needs a signed-in phone`() {
        CartableClient.open(newStore()).use { phone ->
            assertThrows<CartableException.NotLoggedIn> {
                phone.queueDocument("a.pdf", tinyPdf("a"), "insurance", null, null)
            }
        }
    }
}
