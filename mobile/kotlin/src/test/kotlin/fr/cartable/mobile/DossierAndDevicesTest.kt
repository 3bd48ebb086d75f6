package fr.cartable.mobile

import fr.cartable.mobile.Demo.lea
import fr.cartable.mobile.Demo.signedIn
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

class DossierAndDevicesTest {

    @Test
    fun `an allergy edited on one parent's phone reaches the other parent's phone`() {
        signedIn(Demo.CAMILLE, "Téléphone de Camille").use { camille ->
            val lea = lea(camille)
            camille.setChildField(lea.id, ChildField.ALLERGIES, "arachide, kiwi")
            assertEquals(listOf("arachide", "kiwi"), lea(camille).allergies, "durable at once, offline")
            camille.sync()

            signedIn(Demo.JULIEN, "Téléphone de Julien").use { julien ->
                assertEquals(listOf("arachide", "kiwi"), lea(julien).allergies)
            }
        }
    }

    @Test
    fun `the dossier reads as flat records and refuses a bad value with a reason`() {
        signedIn().use { phone ->
            val dossier = phone.dossier()
            assertEquals(setOf("Léa", "Hugo"), dossier.children.map { it.firstName }.toSet())
            assertTrue(dossier.adults.any { it.firstName == "Camille" })
            val hugo = dossier.children.single { it.firstName == "Hugo" }
            assertEquals(Diet.SANS_PORC, hugo.diet)
            assertEquals("Sans porc", hugo.dietLabel)

            val e = assertThrows<CartableException.InvalidInput> {
                phone.setChildField(hugo.id, ChildField.DIET, "inconnu")
            }
            assertTrue(e.reason.contains("régime"), e.reason)
            assertEquals(dietOptions().map { it.code }.toSet(), setOf("standard", "sans_porc", "sans_viande", "vegetarien", "sans_gluten"))
        }
    }

    @Test
    fun `a submitted dossier is sent, then pending with the structure after a sync`() {
        signedIn().use { phone ->
            phone.setAdultField(phone.dossier().adults.first { it.firstName == "Camille" }.id, AdultField.MOBILE_PHONE, "06 12 34 56 78")
            phone.submitDossier()
            assertEquals(ReviewStatus.SENT, phone.dossierReview()?.status)
            phone.sync()
            val review = phone.dossierReview()
            assertEquals(ReviewStatus.PENDING, review?.status, "$review")
            assertTrue(review!!.label.isNotBlank())
            assertEquals(false, review.changedSinceSubmission)
        }
    }

    @Test
    fun `a child added offline gets an id and reaches the server`() {
        signedIn().use { phone ->
            val id = phone.addChild("Zoé", "Martin", "2021-05-04")
            phone.setChildField(id, ChildField.CLASS, "GS")
            phone.sync()
            signedIn(Demo.JULIEN).use { other ->
                val zoe = other.dossier().children.single { it.id == id }
                assertEquals("GS", zoe.`class`)
                assertEquals("2021-05-04", zoe.birthDate)
            }
        }
    }

    @Test
    fun `the catalogue lists the town hall's activities and contact`() {
        signedIn().use { phone ->
            val catalogue = phone.catalogue()
            assertTrue(catalogue.structureName.isNotBlank())
            assertTrue(catalogue.contact.phone.isNotBlank())
            val canteen = catalogue.activities.single { it.id == "cantine" }
            assertEquals(listOf(1, 2, 4, 5), canteen.weekdays.map { it.toInt() })
        }
    }

    @Test
    fun `a lost phone is revoked from another and gets Unauthorized at its next sync`() {
        signedIn(Demo.CAMILLE, "Téléphone principal").use { main ->
            signedIn(Demo.CAMILLE, "Tablette perdue").use { lost ->
                val devices = main.devices()
                assertTrue(devices.single { it.current }.name == "Téléphone principal", "$devices")
                val tablet = devices.last { it.name == "Tablette perdue" }
                main.revokeDevice(tablet.deviceId)

                val e = assertThrows<CartableException.Unauthorized> { lost.sync() }
                assertEquals("unauthorized", e.errorCode())
                assertTrue(main.devices().none { it.deviceId == tablet.deviceId })
            }
        }
    }

    @Test
    fun `logout wipes the phone and says whether the server was told`() {
        val phone = signedIn()
        phone.use {
            val outcome = it.logout()
            assertTrue(outcome.revokedOnServer)
            assertEquals(false, it.status().loggedIn)
            assertThrows<CartableException.NotLoggedIn> { it.dossier() }
        }
    }
}
