package fr.cartable.mobile

import fr.cartable.mobile.Demo.newStore
import fr.cartable.mobile.Demo.signedIn
import java.io.File
import java.nio.file.Files
import java.security.MessageDigest
import java.time.LocalDate
import java.util.UUID
import java.util.zip.ZipFile
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.fail

class PublicationsAndExportTest {

    @Test
    fun `only the message shown today is listed, unread, then read once marked`() {
        signedIn().use { phone ->
            val page = phone.information()
            assertTrue(page.structureName.isNotBlank())
            assertTrue(page.contact.phone.isNotBlank(), "${page.contact}")
            assertEquals(
                listOf("Inscriptions aux vacances de Noël"),
                page.messages.map { it.title },
                "the message scheduled a week later is not shown yet",
            )
            val message = page.messages.single()
            assertFalse(message.read)
            assertEquals(1uL, page.unread)
            assertTrue(message.body.contains("vacances de Noël"), message.body)
            assertFalse(LocalDate.parse(message.publishedFrom).isAfter(Demo.today()), message.publishedFrom)
            assertEquals("", message.publishedUntil, "shown until withdrawn")
            assertTrue(message.updatedAtMs > 0)

            phone.markInformationRead(message.id)
            val after = phone.information()
            assertTrue(after.messages.single().read)
            assertEquals(0uL, after.unread)

            phone.sync()
            assertEquals(0uL, phone.information().unread, "still read after a sync")
            val e = assertThrows<CartableException.InvalidInput> { phone.markInformationRead("inconnu") }
            assertTrue(e.reason.contains("inconnu"), e.reason)
        }
    }

    @Test
    fun `read markers belong to the phone`() {
        signedIn().use { first ->
            val id = first.information().messages.single().id
            first.markInformationRead(id)
            signedIn(Demo.JULIEN).use { other ->
                assertEquals(1uL, other.information().unread)
            }
        }
    }

    @Test
    fun `the rules PDF is listed, fetched once and then kept on the phone`(): Unit = runBlocking {
        Cartable.open(newStore()).use { cartable ->
            cartable.login(Demo.server.url, Demo.CAMILLE, Demo.PASSWORD, "Téléchargements")
            cartable.sync()
            val downloads = cartable.downloads()
            assertEquals(1, downloads.size, "$downloads")
            val rules = downloads.single()
            assertEquals("Règlement intérieur", rules.title)
            assertEquals("application/pdf", rules.contentType)
            assertEquals("reglement-interieur.pdf", rules.fileName)
            assertTrue(rules.description.isNotBlank())
            assertNull(rules.localPath, "not fetched yet")

            val file = cartable.fetchDownload(rules.id)
            val bytes = file.readBytes()
            assertEquals("%PDF", String(bytes, 0, 4, Charsets.US_ASCII))
            assertEquals(rules.sizeBytes, bytes.size.toLong())
            assertEquals(rules.sha256, sha256(bytes))
            assertEquals(file.path, cartable.downloads().single().localPath)
            assertEquals(file, cartable.fetchDownload(rules.id), "the kept copy is reused")

            assertThrows<CartableException.InvalidInput> { runBlocking { cartable.fetchDownload("inconnu") } }
        }
    }

    @Test
    fun `the family's data is exported as a ZIP archive holding the documents it sent`() {
        signedIn().use { phone ->
            val name = "export-${UUID.randomUUID()}.pdf"
            val pdf = tinyPdf(name)
            val localId = phone.queueDocument(name, pdf, "other", null, null)
            phone.sync()
            val serverId = phone.documents().single { it.localId == localId }.serverId
                ?: fail("the document was not sent")

            val dest = Files.createTempDirectory("cartable-export-").resolve("mes-donnees.zip").toFile()
            val summary = phone.exportData(dest.path)
            assertEquals(dest.path, summary.path)
            assertTrue(summary.sizeBytes > 0, "$summary")
            val bytes = dest.readBytes()
            assertEquals(summary.sizeBytes, bytes.size.toLong())
            assertEquals("PK", String(bytes, 0, 2, Charsets.US_ASCII))
            assertFalse(File(dest.path + ".part").exists(), "no partial file left")

            ZipFile(dest).use { zip ->
                val names = zip.entries().asSequence().map { it.name }.toList()
                assertTrue("famille.json" in names, "$names")
                assertTrue("documents.json" in names, "$names")
                val entry = zip.getEntry("documents/$serverId-$name") ?: fail("no $name in $names")
                assertArrayEquals(pdf, zip.getInputStream(entry).readBytes())
            }
        }
    }

    @Test
    fun `publications and the export need a signed-in phone`() {
        CartableClient.open(newStore()).use { phone ->
            val dest = Files.createTempDirectory("cartable-export-").resolve("x.zip")
            assertThrows<CartableException.NotLoggedIn> { phone.exportData(dest.toString()) }
            assertFalse(Files.exists(dest), "nothing written")
            assertThrows<CartableException.NotLoggedIn> { phone.information() }
            assertThrows<CartableException.NotLoggedIn> { phone.downloads() }
        }
    }

    private fun sha256(bytes: ByteArray): String =
        MessageDigest.getInstance("SHA-256").digest(bytes).joinToString("") { "%02x".format(it) }
}
